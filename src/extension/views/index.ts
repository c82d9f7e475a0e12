import * as vscode from 'vscode';

/** A row of one of the Ascend views: how it looks and, lazily, its children. */
export interface Node {
  item(): vscode.TreeItem;
  children?(): Node[] | Promise<Node[]>;
}

/** A tree whose roots come from a function of the feature's state; refreshed when that state changes. */
export class NodeTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  /** The roots returned by the last getChildren(undefined): what the view shows right now. */
  lastRoots: Node[] = [];
  private readonly parents = new WeakMap<Node, Node>();

  /** More features' rows under the same view (quantization jobs next to serving jobs in Jobs). */
  private readonly extra: Array<() => Node[] | Promise<Node[]>> = [];

  constructor(private roots: () => Node[] | Promise<Node[]> = () => []) {}

  setRoots(roots: () => Node[] | Promise<Node[]>): void {
    this.roots = roots;
    this.refresh();
  }

  addRoots(roots: () => Node[] | Promise<Node[]>): void {
    this.extra.push(roots);
    this.refresh();
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  getTreeItem(n: Node): vscode.TreeItem {
    return n.item();
  }

  async getChildren(n?: Node): Promise<Node[]> {
    if (!n) {
      this.lastRoots = [...(await this.roots()), ...(await Promise.all(this.extra.map((f) => f()))).flat()];
      return this.lastRoots;
    }
    const kids = n.children ? await n.children() : [];
    for (const k of kids) this.parents.set(k, n);
    return kids;
  }

  /** Known for rows the view has expanded (what TreeView.reveal needs); roots have none. */
  getParent(n: Node): Node | undefined {
    return this.parents.get(n);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

export const VIEW_IDS = ['ascend.hosts', 'ascend.environment', 'ascend.validation', 'ascend.jobs', 'ascend.profile', 'ascend.reports'] as const;
export type ViewId = (typeof VIEW_IDS)[number];

/**
 * The Ascend views, created empty at activation: each feature sets its view's roots when it is wired. An
 * empty view shows its `viewsWelcome` text. A new view: add its id here and to package.json.
 */
export class Views implements vscode.Disposable {
  readonly trees = {} as Record<ViewId, NodeTree>;
  readonly views = {} as Record<ViewId, vscode.TreeView<Node>>;

  constructor() {
    for (const id of VIEW_IDS) {
      this.trees[id] = new NodeTree();
      this.views[id] = vscode.window.createTreeView(id, { treeDataProvider: this.trees[id], showCollapseAll: id !== 'ascend.reports' && id !== 'ascend.validation' });
    }
  }

  dispose(): void {
    for (const id of VIEW_IDS) {
      this.views[id].dispose();
      this.trees[id].dispose();
    }
  }
}

/** Expands a tree (for tests and "reveal"): all rows down to `depth`, as [depth, item] pairs. */
export async function flatten(tree: NodeTree, depth = 3): Promise<Array<{ depth: number; item: vscode.TreeItem; node: Node }>> {
  const out: Array<{ depth: number; item: vscode.TreeItem; node: Node }> = [];
  const walk = async (nodes: Node[], d: number) => {
    for (const n of nodes) {
      out.push({ depth: d, item: n.item(), node: n });
      if (d + 1 < depth) await walk(await tree.getChildren(n), d + 1);
    }
  };
  await walk(await tree.getChildren(undefined), 0);
  return out;
}
