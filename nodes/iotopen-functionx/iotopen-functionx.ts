// iotopen-functionx: manage Lynx FunctionX objects (list, get, create, update, delete,
// meta, find-or-create). The runtime is shared with the other ModelX node, see nodes/lib/modelx-node.ts.
import type { NodeAPI } from 'node-red';
import { registerModelXNode } from '../lib/modelx-node';

export = function (RED: NodeAPI): void {
  registerModelXNode(RED, 'functionx');
};
