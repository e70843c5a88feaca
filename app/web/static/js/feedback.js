// The feedback list is drawn on the server; the page only needs the header's session
// controls.
import { initPage } from "./common.js";

initPage();
