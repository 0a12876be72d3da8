// Runs one program on nestscope compiled to wasm, in node: node bench/run-wasm.js BINDINGS_DIR PROGRAM.bin MODEL
// Prints the run's {"exit","code","steps","console"} (scripts/bench-against.sh times the whole process).
const [dir, program, model] = process.argv.slice(2);
const b = require(require('path').resolve(dir, 'nestscope_bench_wasm.js'));
console.log(b.run_program(require('fs').readFileSync(program), model || 'bare'));
