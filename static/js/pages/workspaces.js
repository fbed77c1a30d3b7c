// The list of workspaces: the create forms.
import { startPage } from "./common.js";
import * as forms from "../forms.js";

startPage();
forms.start();
