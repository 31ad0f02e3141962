// `npm run bench -- --profile DIR`: loaded with `node --require` (NODE_OPTIONS) beside `--cpu-prof`
// into every Node process the Pulumi CLI starts. The engine ends the dynamic-provider process with
// SIGINT, whose default action kills it before `--cpu-prof` writes its profile; exiting on it instead
// lets the profile be written.
"use strict";
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => process.exit(0));
