// Validates one glTF/GLB with the Khronos glTF validator and prints its JSON report.
// Usage: node validate.cjs FILE [ROOT]
// External resources are read only from inside ROOT (default: the file's folder); any URI
// that leaves it is refused, so the validator never reads outside the upload.
"use strict";
const fs = require("fs");
const path = require("path");
const validator = require("gltf-validator");

const file = path.resolve(process.argv[2]);
const root = path.resolve(process.argv[3] || path.dirname(file));

function loadResource(uri) {
  return new Promise((resolve, reject) => {
    let relative;
    try {
      relative = decodeURIComponent(uri);
    } catch (error) {
      reject(`undecodable URI ${uri}`);
      return;
    }
    const full = path.resolve(path.dirname(file), relative);
    if (full !== root && !full.startsWith(root + path.sep)) {
      reject(`refused: ${uri} is outside the asset folder`);
      return;
    }
    fs.readFile(full, (error, data) => (error ? reject(String(error)) : resolve(new Uint8Array(data))));
  });
}

validator
  .validateBytes(new Uint8Array(fs.readFileSync(file)), {
    uri: path.basename(file),
    maxIssues: 200,
    writeTimestamp: false,
    externalResourceFunction: loadResource,
  })
  .then(
    (report) => process.stdout.write(JSON.stringify(report)),
    (error) => process.stdout.write(JSON.stringify({ fatal: String(error) })),
  );
