#!/usr/bin/env bash
# The TypeScript build: the Node code (src, test, bench -> dist/) and the viewer page's browser
# modules (-> dist/viewer-page). Run by setup.sh when a source changed, by `npm run build`, and
# by npm itself as `prepare` (installing from a git URL) and `prepack` (npm pack), so that an
# installed package always has its dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
tsc=node_modules/.bin/tsc
[ -x "$tsc" ] || tsc="npx --no-install tsc"
$tsc -p tsconfig.json
$tsc -p src/clients/viewer/page/tsconfig.json
touch dist/.build-stamp
