// A workspace's webhooks.

import * as webhooks from "../webhooks.js";
import { startPage } from "./common.js";

startPage();
webhooks.start();
