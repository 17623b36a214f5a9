// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title The L2 side of the OPEN bridge
/// @notice `initiateWithdrawal` burns the native OPEN sent with it and emits the event that the
/// relayer follows to release as much on L1 (`OpenPortal.finalizeWithdrawal`). The burn uses the OP
/// Stack's trick: value sent to a contract that self-destructs in its own creation transaction is
/// destroyed (EIP-6780 still deletes such a contract).
contract OpenL2Bridge {
    /// @notice Number of withdrawals so far; the next withdrawal's nonce.
    uint256 public withdrawalNonce;
    /// @notice Native OPEN burned by withdrawals, in wei.
    uint256 public totalBurned;

    event WithdrawalInitiated(uint256 indexed nonce, address indexed from, address indexed to, uint256 amount);

    error ZeroAmount();
    error ZeroAddress();

    function initiateWithdrawal(address to) external payable returns (uint256 nonce) {
        if (msg.value == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        nonce = withdrawalNonce++;
        totalBurned += msg.value;
        new Burner{value: msg.value}();
        emit WithdrawalInitiated(nonce, msg.sender, to, msg.value);
    }
}

/// @dev Destroys the value it is created with.
contract Burner {
    constructor() payable {
        selfdestruct(payable(address(this)));
    }
}
