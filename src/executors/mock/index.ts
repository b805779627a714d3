export { MockExecutor, type MockNode, type MockBrick, type MockVolume, type MockStep } from './mock-executor';
