// One milestone: its activity, deletion notice and files.
import { startPage } from "./common.js";
import * as activity from "../activity.js";
import * as removals from "../removals.js";
import * as files from "../files.js";

startPage();
activity.start();
removals.start();
files.start();
