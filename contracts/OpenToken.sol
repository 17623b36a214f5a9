// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";

/// @title OPEN on L1
/// @notice A fixed supply of 1,000,000,000 OPEN, minted once to the treasury. No owner, no further
/// minting: the same shape as OpenLedger's token. On the L2 it is the native gas token, bridged
/// through the OP Stack `OptimismPortal` (`depositERC20Transaction`).
contract OpenToken is ERC20, ERC20Burnable {
    uint256 public constant TOTAL_SUPPLY = 1_000_000_000 ether;

    constructor(address treasury) ERC20("OpenLedger", "OPEN") {
        _mint(treasury, TOTAL_SUPPLY);
    }
}
