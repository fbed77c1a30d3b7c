// A workspace: its activity, members and the panels plugged in (trials, files, documents).

import * as activity from "../activity.js";
import * as documentsPanel from "../documents_panel.js";
import * as files from "../files.js";
import * as forms from "../forms.js";
import * as removals from "../removals.js";
import * as trialForms from "../trials_forms.js";
import * as fragments from "../trials_fragments.js";
import * as parameters from "../trials_parameters.js";
import { startPage } from "./common.js";

startPage();
activity.start();
forms.start();
fragments.start();
trialForms.start();
parameters.start();
removals.start();
files.start();
documentsPanel.start();
