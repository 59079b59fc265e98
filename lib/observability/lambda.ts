/**
 * Logs and metrics in Lambda, through Powertools for AWS Lambda: the one module that imports
 * its Logger and Metrics. Log lines are JSON with the invocation's context (request id,
 * function name, cold start) and a correlation id; metrics are CloudWatch Embedded Metric
 * Format (EMF) lines on stdout, which Lambda's log pipeline turns into metrics:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import type { ObservabilityConfig } from '../config';
import type { Logger } from '../logger';
import { noMetrics, type Dimension, type MetricName, type MetricsRecorder } from './metrics';
import type { Observability } from './observability';

function loggerOf(powertools: PowertoolsLogger): Logger {
  return {
    debug: (message, fields) => powertools.debug(message, fields ?? {}),
    info: (message, fields) => powertools.info(message, fields ?? {}),
    warn: (message, fields) => powertools.warn(message, fields ?? {}),
    error: (message, fields) => powertools.error(message, fields ?? {}),
  };
}

/**
 * A recorder on Powertools Metrics. Counts are summed until the flush, so that each name is
 * one value in the EMF line rather than an array of ones. A count with a dimension goes out
 * as a metric of its own (Powertools' `singleMetric`): an EMF document carries one value per
 * dimension, and the invocation's other metrics must not be split by it.
 */
function recorderOf(metrics: Metrics): MetricsRecorder {
  const counts = new Map<MetricName, number>();
  const dimensioned = new Map<string, { name: MetricName; dimension: Dimension; value: number }>();
  return {
    count(name, value, dimension) {
      if (dimension === undefined) {
        counts.set(name, (counts.get(name) ?? 0) + value);
        return;
      }
      const key = `${name}\n${dimension.name}\n${dimension.value}`;
      const entry = dimensioned.get(key) ?? { name, dimension, value: 0 };
      entry.value += value;
      dimensioned.set(key, entry);
    },
    durationMs(name, valueMs) {
      metrics.addMetric(name, MetricUnit.Milliseconds, valueMs);
    },
    flush() {
      for (const [name, value] of counts) metrics.addMetric(name, MetricUnit.Count, value);
      counts.clear();
      // Publishing nothing would log Powertools' "no metrics" warning on every idle flush.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      for (const { name, dimension, value } of dimensioned.values()) {
        const single = metrics.singleMetric();
        single.addDimension(dimension.name, dimension.value);
        single.addMetric(name, MetricUnit.Count, value);
      }
      dimensioned.clear();
    },
  };
}

/**
 * Creates the Powertools logger and metrics of one function, once per container. Begin
 * and end each invocation with {@link Observability.begin} and {@link Observability.end}.
 *
 * @param settings - service name, namespace, log level and debug sampling rate from `lib/config.ts`.
 * @param publishMetrics - false outside Lambda, where no log pipeline turns EMF lines into
 *   metrics: nothing is recorded and no line written.
 */
export function createLambdaObservability(settings: ObservabilityConfig, publishMetrics: boolean): Observability {
  const powertoolsLogger = new PowertoolsLogger({
    serviceName: settings.serviceName,
    logLevel: settings.logLevel,
    sampleRateValue: settings.debugSampleRate,
  });
  const metrics = publishMetrics ? new Metrics({ namespace: settings.metricsNamespace, serviceName: settings.serviceName }) : undefined;
  const recorder = metrics === undefined ? noMetrics : recorderOf(metrics);
  return {
    logger: loggerOf(powertoolsLogger),
    metrics: recorder,
    begin(context, correlationId) {
      if (context !== undefined) powertoolsLogger.addContext(context as Context);
      powertoolsLogger.setCorrelationId(correlationId);
      powertoolsLogger.refreshSampleRateCalculation();
      metrics?.captureColdStartMetric(context?.functionName);
    },
    end() {
      try {
        recorder.flush();
      } finally {
        powertoolsLogger.resetKeys();
      }
    },
  };
}
