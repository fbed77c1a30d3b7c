// The list of workspaces: the create forms.

import * as forms from "../forms.js";
import { startPage } from "./common.js";

startPage();
forms.start();
