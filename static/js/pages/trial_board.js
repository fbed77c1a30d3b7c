// A workspace's trials board: lists and charts live.
import { startPage } from "./common.js";
import * as activity from "../activity.js";
import * as fragments from "../trials_fragments.js";
import * as trialForms from "../trials_forms.js";
import * as parameters from "../trials_parameters.js";
import * as removals from "../removals.js";
import * as charts from "../charts.js";

startPage();
activity.start();
fragments.start();
trialForms.start();
parameters.start();
removals.start();
charts.startCharts();
