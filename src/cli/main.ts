#!/usr/bin/env node
// The encore command line. Every command exits non-zero with a one-line message on bad
// arguments or files; --verbose adds the stack trace.
import { Command, CommanderError } from "commander";
import { runBenchmarks } from "../../bench/run.js";
import { formatTable } from "../../bench/harness.js";

const program = new Command();
program
  .name("encore")
  .description("List-wise music recommendation with DDPG on a WebAssembly SIMD engine")
  .option("--verbose", "print stack traces on errors")
  .showHelpAfterError("(run with --help for usage)");

program
  .command("bench")
  .description("run the engine's micro-benchmarks beside their baselines")
  .option("--json", "print one JSON array of results instead of a table")
  .option("--filter <substring>", "only cases whose name contains this")
  .option("--quick", "shorter timing (less precise)")
  .addHelpText("after", "\nExamples:\n  encore bench\n  encore bench --filter gemm --json\n")
  .action(async (opts: { json?: boolean; filter?: string; quick?: boolean }) => {
    const results = await runBenchmarks({ json: opts.json, filter: opts.filter, quick: opts.quick });
    process.stdout.write((opts.json ? JSON.stringify(results, null, 2) : formatTable(results)) + "\n");
  });

async function main(): Promise<void> {
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    const verbose = program.opts().verbose as boolean | undefined;
    process.stderr.write(`encore: ${verbose ? (e as Error).stack : (e as Error).message}\n`);
    process.exit(1);
  }
}

void main();
