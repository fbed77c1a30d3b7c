// /api/v1/docs (Swagger UI is a classic script before this one).
import { startPage } from "./common.js";
import * as apiDocs from "../api_docs.js";

startPage();
apiDocs.start();
