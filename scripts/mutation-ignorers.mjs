// Stryker ignorers for `npm run mutation`: code whose mutants no test should pin.
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

const LOG_LEVELS = new Set(['debug', 'info', 'warn', 'error']);

/** `logger.warn('message', fields)`, `deps.logger.info(`…`)`: a log line with its own message. */
function isLogCall(node) {
  if (node.type !== 'CallExpression') return false;
  const { callee, arguments: args } = node;
  if (callee.type !== 'MemberExpression' || callee.property.type !== 'Identifier' || !LOG_LEVELS.has(callee.property.name)) return false;
  const target = callee.object.type === 'MemberExpression' ? callee.object.property : callee.object;
  if (target.type !== 'Identifier' || !/logger$/i.test(target.name)) return false;
  // Only a literal message: forwarding a message (withFields, the kafkajs log creator) is logic of its own.
  const message = args[0];
  return message !== undefined && (message.type === 'StringLiteral' || message.type === 'TemplateLiteral');
}

/** Whether evaluating `node` can do more than read: a call, an await, an assignment. */
function hasEffects(node) {
  if (node === null || typeof node !== 'object') return false;
  if (Array.isArray(node)) return node.some(hasEffects);
  if (['CallExpression', 'NewExpression', 'AwaitExpression', 'AssignmentExpression', 'UpdateExpression', 'YieldExpression'].includes(node.type)) return true;
  return Object.entries(node).some(([field, value]) => !['loc', 'start', 'end', 'leadingComments', 'trailingComments'].includes(field) && hasEffects(value));
}

/**
 * A statement that only logs: a log line, or an `if` without `else` or a `for … of` whose
 * condition or iterable only reads and whose body only logs (which records to log, and when).
 */
function onlyLogs(node) {
  if (node.type === 'ExpressionStatement') return isLogCall(node.expression);
  if (node.type === 'BlockStatement') return node.body.length > 0 && node.body.every(onlyLogs);
  if (node.type === 'IfStatement') return node.alternate === null && !hasEffects(node.test) && onlyLogs(node.consequent);
  if (node.type === 'ForOfStatement') return !hasEffects(node.right) && onlyLogs(node.body);
  return false;
}

/** The `MetricName` table: the names are a published contract, read by dashboards rather than by code. */
function isMetricNameTable(path) {
  return path.isVariableDeclarator() && path.node.id.type === 'Identifier' && path.node.id.name === 'MetricName';
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'logging', {
    shouldIgnore: (path) => (isLogCall(path.node) || onlyLogs(path.node) ? 'a log line: its message and fields are for people, not behaviour' : undefined),
  }),
  declareValuePlugin(PluginKind.Ignore, 'metric-names', {
    shouldIgnore: (path) => (isMetricNameTable(path) ? 'metric names: a contract with dashboards, not behaviour' : undefined),
  }),
];
