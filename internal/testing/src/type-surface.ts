import ts from 'typescript';

const KINDS: [ts.SymbolFlags, string][] = [
  [ts.SymbolFlags.Class, 'class'],
  [ts.SymbolFlags.Function, 'function'],
  [ts.SymbolFlags.Variable, 'const'],
  [ts.SymbolFlags.Interface, 'interface'],
  [ts.SymbolFlags.TypeAlias, 'type'],
  [ts.SymbolFlags.Enum, 'enum'],
];

/**
 * The compile-time public surface of a package, for an exports snapshot: every name its barrel
 * exports with its kind (types included, which a run-time snapshot cannot see), and every member
 * its `declare module 'koa'` blocks add (`DefaultState.user`): the state keys users type against.
 */
export function describeTypeSurface(entry: string): { exports: string[]; koa: string[] } {
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${entry} is not a module`);
  const exports = checker.getExportsOfModule(moduleSymbol).map((symbol) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const kinds = KINDS.filter(([flag]) => target.flags & flag).map(([, kind]) => kind);
    return `${kinds.join('+') || 'unknown'} ${symbol.name}`;
  });

  const packageDir = entry.slice(0, entry.lastIndexOf('/src/') + 1);
  const koa: string[] = [];
  for (const file of program.getSourceFiles()) {
    if (!file.fileName.startsWith(packageDir) || file.fileName.includes('/node_modules/')) continue;
    for (const statement of file.statements) {
      if (!ts.isModuleDeclaration(statement) || statement.name.text !== 'koa' || !statement.body) continue;
      if (!ts.isModuleBlock(statement.body)) continue;
      for (const declaration of statement.body.statements) {
        if (!ts.isInterfaceDeclaration(declaration)) continue;
        const name = declaration.name.text;
        if (declaration.members.length === 0) koa.push(name);
        for (const member of declaration.members) {
          if (member.name && (ts.isIdentifier(member.name) || ts.isStringLiteral(member.name)))
            koa.push(`${name}.${member.name.text}`);
          else if (ts.isIndexSignatureDeclaration(member)) koa.push(`${name}[index]`);
        }
      }
    }
  }
  return { exports: exports.sort(), koa: [...new Set(koa)].sort() };
}
