// Pages without script of their own.
import { startPage } from "./common.js";

startPage();
