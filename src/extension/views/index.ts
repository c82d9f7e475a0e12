import * as vscode from 'vscode';
import type { Ctx } from '../ctx';

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

  constructor(private roots: () => Node[] | Promise<Node[]> = () => []) {}

  setRoots(roots: () => Node[] | Promise<Node[]>): void {
    this.roots = roots;
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
      this.lastRoots = await this.roots();
      return this.lastRoots;
    }
    return n.children ? await n.children() : [];
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

export const VIEW_IDS = ['ascend.hosts', 'ascend.environment', 'ascend.jobs', 'ascend.reports'] as const;
export type ViewId = (typeof VIEW_IDS)[number];

export interface Views {
  trees: Record<ViewId, NodeTree>;
  views: Record<ViewId, vscode.TreeView<Node>>;
}

/**
 * Creates the four views, empty: each feature sets its view's roots when it is wired. An empty view shows
 * its `viewsWelcome` text.
 */
export function registerViews(ctx: Ctx): Views {
  const trees = {} as Record<ViewId, NodeTree>;
  const views = {} as Record<ViewId, vscode.TreeView<Node>>;
  for (const id of VIEW_IDS) {
    trees[id] = ctx.own(new NodeTree());
    views[id] = ctx.own(vscode.window.createTreeView(id, { treeDataProvider: trees[id], showCollapseAll: id !== 'ascend.reports' }));
  }
  return { trees, views };
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
