global using Differentiable;
global using Xunit;
