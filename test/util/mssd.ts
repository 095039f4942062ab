// Where tests find the real MSSD slice: beside the repository (never inside it), in
// ../shared/data/mssd/, or wherever ENCORE_MSSD_DIR points.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const MSSD_DIR = process.env.ENCORE_MSSD_DIR ?? join(ROOT, "..", "shared", "data", "mssd");
export const REAL_LOG = join(MSSD_DIR, "log_mini_100k.csv.gz");
export const REAL_TF = join(MSSD_DIR, "tf_real_subset.csv");
export const HAVE_REAL_LOG = existsSync(REAL_LOG);
export const HAVE_REAL_TF = existsSync(REAL_TF);
