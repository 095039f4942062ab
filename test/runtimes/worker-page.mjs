// The probe in a browser's module Worker (page.html starts it and posts the files).
import * as encore from "./encore.js";
import { probe } from "./probe.mjs";

self.onmessage = async (m) => {
  const { files, episodes } = m.data;
  self.postMessage(await probe(encore, files, episodes).catch((e) => ({ error: String(e.stack || e) })));
};
