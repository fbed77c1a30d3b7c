// A workspace's files.
import { startPage } from "./common.js";
import * as activity from "../activity.js";
import * as files from "../files.js";

startPage();
activity.start();
files.start();
