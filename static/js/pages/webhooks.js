// A workspace's webhooks.
import { startPage } from "./common.js";
import * as webhooks from "../webhooks.js";

startPage();
webhooks.start();
