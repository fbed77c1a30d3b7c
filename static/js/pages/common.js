// What every page runs first. window.JL is the console's (and the browser tests') handle
// on the page; modules never read it: they import what they use.
import * as JL from "../app.js";
import * as events from "../event_words.js";

export function startPage() {
  JL.startPage();
  window.JL = { ...JL, events };
}
