"""Issue 15, Everywhere: charts people can read and touch. Control charts and
trial comparisons are drawn with uPlot (bundled): values on hover, drag to
zoom into a run, new readings appear live in the same chart (a zoomed view
stays zoomed), and a point of the trials chart opens its trial."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import browser_login
from tests.trials.control_test_helpers import CYCLE, baseline_and_running
from tests.trials.factory import add_indicators, measure

PLOT = "document.querySelector('.chart-box[data-key=\"cycle_time_s\"]').__plot"


def test_control_chart_hover_zoom_and_live_readings(make, api, live_server, browser_context):
    ws = make.workspace()
    add_indicators(api, ws, CYCLE)
    running = baseline_and_running(api, ws)
    measure(api, ws, running["id"], {"cycle_time_s": [60.2, 60.8, 61.1, 60.4, 64.9]})
    page = browser_login(browser_context(), live_server.url, ws.owner)
    page.goto(f"{live_server.url}/trials/{running['id']}")
    page.wait_for_selector('[data-testid="connection"][data-state="connected"]')
    box = page.locator('[data-testid="control-cycle_time_s"] .chart-box')
    expect(box.locator("canvas")).to_have_count(1)
    expect(box.locator("svg.chart")).to_be_hidden()  # the fallback gives way
    assert page.evaluate(f"{PLOT}.data[1].length") == 5

    # Hover: the legend shows the reading under the cursor, and its signal.
    over = box.locator(".u-over")
    over.scroll_into_view_if_needed()
    ob = over.bounding_box()
    x_last = page.evaluate(f"{PLOT}.valToPos(4, 'x')")
    page.mouse.move(ob["x"] + ob["width"] / 2, ob["y"] + ob["height"] / 2)
    page.mouse.move(ob["x"] + x_last - 3, ob["y"] + ob["height"] / 2, steps=4)
    legend = box.locator(".u-legend")
    expect(legend).to_contain_text("64.9")
    expect(legend).to_contain_text("3σ")

    # Drag across two readings to zoom into them.
    x1 = page.evaluate(f"{PLOT}.valToPos(1, 'x')")
    x2 = page.evaluate(f"{PLOT}.valToPos(3, 'x')")
    page.mouse.move(ob["x"] + x1, ob["y"] + 20)
    page.mouse.down()
    page.mouse.move(ob["x"] + x2, ob["y"] + 20, steps=5)
    page.mouse.up()
    zoomed = page.evaluate(f"[{PLOT}.scales.x.min, {PLOT}.scales.x.max]")
    assert 0.5 < zoomed[0] < 1.5 and 2.5 < zoomed[1] < 3.5, zoomed
    page.evaluate(f"window.__before = {PLOT}")

    # New readings arrive in the same chart, which stays zoomed.
    measure(api, ws, running["id"], {"cycle_time_s": [60.6, 60.9]})
    for _ in range(100):  # (wait_for_function's string form would need eval, refused by the CSP)
        if page.evaluate(f"{PLOT} && {PLOT}.data[1].length") == 7:
            break
        page.wait_for_timeout(100)
    assert page.evaluate(f"{PLOT}.data[1].length") == 7
    assert page.evaluate(f"window.__before === {PLOT}")
    assert page.evaluate(f"[{PLOT}.scales.x.min, {PLOT}.scales.x.max]") == zoomed


def test_a_point_of_the_trials_chart_opens_its_trial(make, api, live_server, browser_context):
    ws = make.workspace()
    add_indicators(api, ws, CYCLE)
    running = baseline_and_running(api, ws)
    measure(api, ws, running["id"], {"cycle_time_s": [60.2]})
    page = browser_login(browser_context(), live_server.url, ws.owner)
    page.goto(f"{live_server.url}/workspaces/{ws.id}/trials")
    box = page.locator('[data-testid="chart-cycle_time_s"] .chart-box')
    expect(box.locator("canvas")).to_have_count(1)
    plot = "document.querySelector('[data-testid=\"chart-cycle_time_s\"] .chart-box').__plot"
    points = page.evaluate(f"{plot}.__plot.points.map((p) => p.trial)")
    last = len(points) - 1
    box.locator(".u-over").scroll_into_view_if_needed()
    ob = box.locator(".u-over").bounding_box()
    x = page.evaluate(f"{plot}.valToPos({last}, 'x')")
    y = page.evaluate(f"{plot}.valToPos({plot}.data[1][{last}], 'y')")
    page.mouse.move(ob["x"] + ob["width"] / 2, ob["y"] + ob["height"] / 2)
    page.mouse.move(ob["x"] + x - 3, ob["y"] + y, steps=4)
    label = page.evaluate(f"{plot}.__plot.points[{last}].label")  # "#2": the trial's number
    expect(box.locator(".u-legend")).to_contain_text(label)
    page.mouse.click(ob["x"] + x - 3, ob["y"] + y)
    page.wait_for_url(f"**/trials/{points[last]}")
