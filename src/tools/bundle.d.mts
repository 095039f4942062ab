// Types of src/tools/bundle.mjs for the TypeScript tests.
export declare function bundleLibrary(outfile?: string): Promise<string>;
