// One trial: gauges, measurements, actions, edits, charts, import and files.

import * as activity from "../activity.js";
import * as charts from "../charts.js";
import * as files from "../files.js";
import * as importer from "../import.js";
import * as removals from "../removals.js";
import * as trialPage from "../trial_page.js";
import * as trialForms from "../trials_forms.js";
import * as fragments from "../trials_fragments.js";
import * as parameters from "../trials_parameters.js";
import { startPage } from "./common.js";

startPage();
activity.start();
fragments.start();
trialPage.start();
trialForms.start();
parameters.start();
removals.start();
charts.startCharts();
importer.start();
files.start();
