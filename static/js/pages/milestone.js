// One milestone: its activity, deletion notice and files.

import * as activity from "../activity.js";
import * as files from "../files.js";
import * as removals from "../removals.js";
import { startPage } from "./common.js";

startPage();
activity.start();
removals.start();
files.start();
