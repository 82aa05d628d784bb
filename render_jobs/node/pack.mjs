// Runs several gltfpack jobs in one node process (one WebAssembly start instead of one per
// job). Usage: node pack.mjs JOBS.json, where JOBS.json is a list of
//   {"tries": [[gltfpack args...], ...], "report": "path of the -r report", "maxTriangles": N}
// Each job runs its tries in order and stops at the first whose output draws at most
// maxTriangles triangles (or after the first try when maxTriangles is null); the last try's
// output stays otherwise. Prints one JSON list with {ok, tries} or {ok: false, error}.
import fs from "fs";
import { pack } from "gltfpack/library.js";

const jobs = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const iface = {
  read: (path) => fs.readFileSync(path),
  write: (path, data) => fs.writeFileSync(path, data),
};
const results = [];
for (const job of jobs) {
  try {
    let used = 0;
    for (const args of job.tries) {
      used += 1;
      await pack(args, iface);
      if (job.maxTriangles === null || job.maxTriangles === undefined) break;
      const report = JSON.parse(fs.readFileSync(job.report, "utf8"));
      if (report.render.triangleCount <= job.maxTriangles) break;
    }
    results.push({ ok: true, tries: used });
  } catch (error) {
    results.push({ ok: false, error: String(error && error.message ? error.message : error) });
  }
}
process.stdout.write(JSON.stringify(results));
