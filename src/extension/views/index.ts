import * as vscode from 'vscode';
import type { Ctx } from '../ctx';

/**
 * A tree whose rows are computed by the feature that owns it. Until the feature has data the view is
 * empty, and VS Code shows the view's `viewsWelcome` text instead.
 */
export interface Node {
  item(): vscode.TreeItem;
  children?(): Node[] | Promise<Node[]>;
}

export class NodeTree implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private roots: Node[] = [];
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;

  setRoots(roots: Node[]): void {
    this.roots = roots;
    this.emitter.fire(undefined);
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  getTreeItem(n: Node): vscode.TreeItem {
    return n.item();
  }

  async getChildren(n?: Node): Promise<Node[]> {
    if (!n) return this.roots;
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

export function registerViews(ctx: Ctx): Views {
  const trees = {} as Record<ViewId, NodeTree>;
  const views = {} as Record<ViewId, vscode.TreeView<Node>>;
  for (const id of VIEW_IDS) {
    trees[id] = ctx.own(new NodeTree());
    views[id] = ctx.own(vscode.window.createTreeView(id, { treeDataProvider: trees[id], showCollapseAll: id === 'ascend.environment' }));
  }
  return { trees, views };
}
