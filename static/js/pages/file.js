// A workspace's files.

import * as activity from "../activity.js";
import * as files from "../files.js";
import { startPage } from "./common.js";

startPage();
activity.start();
files.start();
