/** What the figures were measured on, so that a reader can compare runs fairly. */
import os from 'node:os';

/** Machine and runtime details recorded with every run. */
export interface MachineDetails {
  cpuModel: string;
  cpuCount: number;
  totalMemoryGiB: number;
  loadAverage1m: number;
  platform: string;
  arch: string;
  nodeVersion: string;
  v8Version: string;
  kafkaBrokers: string;
  kafkaStartedByBench: boolean;
  dynamoStartedByBench: boolean;
}

/** Reads the machine's details; `services` says what the bench started itself. */
export function machineDetails(services: { kafkaBrokers: string[]; kafkaStarted: boolean; dynamoStarted: boolean }): MachineDetails {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    platform: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    nodeVersion: process.versions.node,
    v8Version: process.versions.v8,
    kafkaBrokers: services.kafkaBrokers.join(','),
    kafkaStartedByBench: services.kafkaStarted,
    dynamoStartedByBench: services.dynamoStarted,
  };
}
