// /api/v1/docs (Swagger UI is a classic script before this one).

import * as apiDocs from "../api_docs.js";
import { startPage } from "./common.js";

startPage();
apiDocs.start();
