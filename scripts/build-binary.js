#!/usr/bin/env node
// Builds the single executable: esbuild bundles src/cli/main.ts, Node's single-executable
// application support embeds the bundle into a copy of this node binary (postject), and
// koffi's native module is shipped beside it (a SEA can only require built-in modules, so the
// bundle loads koffi.node from the executable's own directory). ntsync-run is a symlink to
// the same binary: main.ts picks the program by the name it was started as.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist', 'bin');
const work = path.join(root, 'dist', 'sea');
fs.mkdirSync(out, { recursive: true });
fs.mkdirSync(work, { recursive: true });

const nativeTriplet = `${process.platform}_${process.arch}`;
const koffiPackage = path.dirname(require.resolve(`@koromix/koffi-${process.platform}-${process.arch}/package.json`));
const koffiNode = path.join(koffiPackage, nativeTriplet, 'koffi.node');
if (!fs.existsSync(koffiNode)) throw new Error(`koffi's native module is missing at ${koffiNode}; run npm ci`);

// Replace koffi's platform package with a loader that finds koffi.node next to the executable
// (or next to the bundle when the bundle is run by a plain node for debugging).
const koffiBesideBinary = {
  name: 'koffi-beside-binary',
  setup(build) {
    build.onResolve({ filter: /^@koromix\/koffi-/ }, (args) => ({ path: args.path, namespace: 'koffi-native' }));
    build.onLoad({ filter: /.*/, namespace: 'koffi-native' }, () => ({
      loader: 'js',
      contents: `
        const path = require('node:path');
        const { createRequire } = require('node:module');
        let sea = false;
        try { sea = require('node:sea').isSea(); } catch {}
        const dir = sea ? path.dirname(process.execPath) : __dirname;
        module.exports = createRequire(path.join(dir, 'loader.js'))(path.join(dir, 'koffi.node'));
      `,
    }));
  },
};

const bundle = path.join(work, 'main.js');
esbuild
  .build({
    entryPoints: [path.join(root, 'src/cli/main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: bundle,
    plugins: [koffiBesideBinary],
    // koffi's ESM entry locates itself through import.meta.url, which a CJS bundle lacks.
    alias: { koffi: require.resolve('koffi') },
    // The unit files `ntsyncd install` writes travel inside the binary.
    define: {
      NTSYNCD_EMBEDDED_FILES: JSON.stringify(
        Object.fromEntries(
          ['ntsyncd.service', 'ntsyncd-modules.conf'].map((name) => [
            name,
            fs.readFileSync(path.join(root, 'systemd', name), 'utf8'),
          ]),
        ),
      ),
    },
    // A SEA's main script gets no __filename/__dirname; koffi's loader needs them.
    banner: {
      js:
        "var __filename = typeof __filename === 'string' ? __filename : process.execPath;\n" +
        "var __dirname = typeof __dirname === 'string' ? __dirname : require('node:path').dirname(process.execPath);",
    },
    logLevel: 'warning',
  })
  .then(() => {
    const config = path.join(work, 'sea-config.json');
    const blob = path.join(work, 'sea-prep.blob');
    fs.writeFileSync(
      config,
      JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false }),
    );
    execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'inherit' });
    const binary = path.join(out, 'ntsyncd');
    fs.rmSync(binary, { force: true });
    fs.copyFileSync(process.execPath, binary);
    fs.chmodSync(binary, 0o755);
    execFileSync(
      process.execPath,
      [
        require.resolve('postject/dist/cli.js'),
        binary,
        'NODE_SEA_BLOB',
        blob,
        '--sentinel-fuse',
        'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    fs.copyFileSync(koffiNode, path.join(out, 'koffi.node'));
    fs.copyFileSync(koffiNode, path.join(work, 'koffi.node'));
    const launcher = path.join(out, 'ntsync-run');
    fs.rmSync(launcher, { force: true });
    fs.symlinkSync('ntsyncd', launcher);
    console.log(`built ${binary} (+ koffi.node, ntsync-run -> ntsyncd)`);
  })
  .catch((err) => {
    console.error(err.message ?? err);
    process.exit(1);
  });
