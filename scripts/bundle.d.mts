// Types of scripts/bundle.mjs for the TypeScript tests.
export declare function bundleLibrary(outfile?: string): Promise<string>;
