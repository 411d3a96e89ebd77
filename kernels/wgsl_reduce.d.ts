export declare function workgroupSumWgsl(wg: number): string;
