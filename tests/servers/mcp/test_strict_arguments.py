"""Over MCP, booleans given for numbers are refused naming the field (the tool layer's check,
tools/schema_guard.py, applied by the server's argument model)."""

from __future__ import annotations

from mcp import Client


async def test_over_mcp_true_for_kernel_size_is_an_error_naming_the_field(mcp_server):
    async with Client(mcp_server) as client:
        refused = await client.call_tool(
            "conv2d_params", {"kernel_size": True, "in_channels": 3, "out_channels": 8}
        )
        nested = await client.call_tool(
            "custom_network_complexity",
            {
                "input_shape": [1, 8, 8],
                "layers": [{"type": "conv2d", "out_channels": 2, "kernel_size": False}],
            },
        )
    assert (
        refused.is_error and "kernel_size: must be an integer, not true or false" in refused.content[0].text
    )
    assert nested.is_error and "layers.0.kernel_size: must be an integer" in nested.content[0].text
