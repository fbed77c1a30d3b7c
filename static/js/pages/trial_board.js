// A workspace's trials board: lists and charts live.

import * as activity from "../activity.js";
import * as charts from "../charts.js";
import * as removals from "../removals.js";
import * as trialForms from "../trials_forms.js";
import * as fragments from "../trials_fragments.js";
import * as parameters from "../trials_parameters.js";
import { startPage } from "./common.js";

startPage();
activity.start();
fragments.start();
trialForms.start();
parameters.start();
removals.start();
charts.startCharts();
