// The landscape is drawn on the server (SVG and tables); the page only needs the header's
// session controls.
import { initPage } from "./common.js";

initPage();
