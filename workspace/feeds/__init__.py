"""Following the portfolio without the screen: Atom, iCalendar, weekly mail."""
