// Parse Apex class files with @apexdevtools/apex-parser (the ANTLR grammar used by Apex Dev Tools)
// and print one JSON object per file: syntax errors, declared classes, methods and annotations.
// Exit status 1 if any file has a syntax error, 2 on bad usage. Used by tests/test_sfdx_org_a.py;
// it checks syntax only: types, fields and SOQL are checked by the org at deploy time.
//
//   node tools/apex_parse.mjs sfdx/org-a/main/default/classes/*.cls
import { readFileSync } from "node:fs";
import {
  ApexErrorListener,
  ApexParseTreeWalker,
  ApexParserBaseListener,
  ApexParserFactory,
} from "@apexdevtools/apex-parser";

class Collect extends ApexErrorListener {
  constructor() {
    super();
    this.errors = [];
  }
  apexSyntaxError(line, column, msg) {
    this.errors.push(`${line}:${column} ${msg}`);
  }
}

class Outline extends ApexParserBaseListener {
  constructor() {
    super();
    this.classes = [];
    this.methods = [];
    this.annotations = [];
  }
  enterClassDeclaration(ctx) {
    this.classes.push(ctx.id().getText());
  }
  enterMethodDeclaration(ctx) {
    this.methods.push(ctx.id().getText());
  }
  enterAnnotation(ctx) {
    this.annotations.push(ctx.getText());
  }
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tools/apex_parse.mjs FILE.cls [FILE.cls ...]");
  process.exit(2);
}
let failed = false;
for (const file of files) {
  const listener = new Collect();
  const { parser } = ApexParserFactory.createLexerAndParser(readFileSync(file, "utf8"), listener);
  const tree = parser.compilationUnit();
  const outline = new Outline();
  if (listener.errors.length === 0) {
    ApexParseTreeWalker.DEFAULT.walk(outline, tree);
  }
  failed ||= listener.errors.length > 0;
  console.log(JSON.stringify({ file, errors: listener.errors, classes: outline.classes,
                               methods: outline.methods, annotations: outline.annotations }));
}
process.exit(failed ? 1 : 0);
