// The portfolio dashboard: totals and rows live, the milestone feed, the export.

import * as dashboard from "../dashboard.js";
import * as exporter from "../dashboard_export.js";
import * as feed from "../dashboard_feed.js";
import { startPage } from "./common.js";

startPage();
dashboard.start();
feed.start();
exporter.start();
