// Print, as JSON, the resource attributes the OpenTelemetry JS SDK reads from
// OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME (its own envDetector, unchanged).
'use strict';
const { envDetector } = require('@opentelemetry/resources');

const detected = envDetector.detect();
process.stdout.write(JSON.stringify(detected.attributes || {}) + '\n');
