"""The interactive console on prompt_toolkit, one module per UI concern."""
