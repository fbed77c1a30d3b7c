// A document: the editor (static/dist/editor.js, a classic script before this one), comments, suggestions, versions, files.

import * as documentPage from "../document.js";
import * as files from "../files.js";
import { startPage } from "./common.js";

startPage();
documentPage.start();
files.start();
