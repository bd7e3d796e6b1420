// A plain OpenTelemetry JS program: the NodeSDK with its default resource
// detectors and an OTLP/HTTP protobuf trace exporter configured from the
// standard OTEL_* variables. It exports one span and exits.
//
// With HEADERS_HELPER set, it first runs that command the way Claude Code runs
// its `otelHeadersHelper` (a shell command whose stdout is one JSON object of
// header names to string values) and sends those headers with the export.
'use strict';
const { execSync } = require('node:child_process');
const { trace } = require('@opentelemetry/api');
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');

function helperHeaders() {
  const helper = process.env.HEADERS_HELPER;
  if (!helper) return undefined;
  const stdout = execSync(helper, {
    shell: '/bin/sh',
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 30000,
  });
  const headers = JSON.parse(stdout);
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    throw new Error('the headers helper did not print a JSON object');
  }
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') throw new Error(`header ${name} is not a string`);
  }
  return headers;
}

async function main() {
  const headers = helperHeaders();
  const sdk = new NodeSDK({
    traceExporter: new OTLPTraceExporter(headers ? { headers } : {}),
    instrumentations: [],
  });
  sdk.start();
  const span = trace.getTracer('node-peer').startSpan('node-span');
  span.end();
  await sdk.shutdown();
}

main().catch((err) => {
  process.stderr.write(`node peer failed: ${err && err.message}\n`);
  process.exit(1);
});
