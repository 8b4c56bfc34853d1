// Runs a Python script in Pyodide under node, with pure-Python packages unpacked into
// its site-packages first (no network, no micropip).
// usage: node run.mjs <pyodide folder> <script.py> <archive.zip>...
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [indexURL, script, ...archives] = process.argv.slice(2);
const require = createRequire(path.join(indexURL, "package.json"));
const { loadPyodide } = require("./pyodide.js");

const pyodide = await loadPyodide({ indexURL: indexURL + path.sep });
archives.forEach((file, i) => pyodide.FS.writeFile(`/tmp/package${i}.zip`, readFileSync(file)));
pyodide.FS.mkdirTree("/work");
pyodide.runPython(`
import site, zipfile
for i in range(${archives.length}):
    zipfile.ZipFile(f"/tmp/package{i}.zip").extractall(site.getsitepackages()[0])
`);
pyodide.runPython(readFileSync(script, "utf8"));
