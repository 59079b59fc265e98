/** The scenario's summary and details, as assertion messages, so a failure says why. */
import { detailLines, summaryLine, type ScenarioReport } from '../../../chaos/lib/report';

export function reportText(report: ScenarioReport): string {
  return [summaryLine(report), ...detailLines(report)].join('\n');
}
