// The not-found page has no behaviour beyond the header's session controls.
import { initPage } from "./common.js";

initPage();
