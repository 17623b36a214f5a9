// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title The L1 side of the OPEN bridge
/// @notice Deposits lock OPEN here and are credited on the L2 as native OPEN by an OP deposit
/// transaction; withdrawals burn native OPEN on the L2 (`OpenL2Bridge`) and are released from here.
/// On the devnet a relayer holding RELAYER_ROLE finalises withdrawals: it stands in for the fault
/// proof and challenge window of a production OP Stack chain.
contract OpenPortal is AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    bytes32 public constant RELAYER_ROLE = keccak256("RELAYER_ROLE");

    IERC20 public immutable token;
    /// @notice Number of deposits so far; the next deposit's nonce.
    uint256 public depositNonce;
    /// @notice L2 withdrawal nonces already released on L1: each is paid once.
    mapping(uint256 => bool) public finalizedWithdrawals;

    event DepositInitiated(uint256 indexed nonce, address indexed from, address indexed to, uint256 amount);
    event WithdrawalFinalized(uint256 indexed nonce, address indexed to, uint256 amount);

    error ZeroAmount();
    error ZeroAddress();
    error WithdrawalAlreadyFinalized(uint256 nonce);

    constructor(IERC20 token_, address admin, address relayer) {
        if (address(token_) == address(0) || admin == address(0) || relayer == address(0)) revert ZeroAddress();
        token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(RELAYER_ROLE, relayer);
    }

    /// @notice Locks `amount` OPEN (approved beforehand) to be credited to `to` on the L2.
    function depositTransaction(address to, uint256 amount) external nonReentrant returns (uint256 nonce) {
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        nonce = depositNonce++;
        token.safeTransferFrom(msg.sender, address(this), amount);
        emit DepositInitiated(nonce, msg.sender, to, amount);
    }

    /// @notice Releases OPEN for L2 withdrawal `nonce`, once.
    function finalizeWithdrawal(uint256 nonce, address to, uint256 amount)
        external
        onlyRole(RELAYER_ROLE)
        nonReentrant
    {
        if (finalizedWithdrawals[nonce]) revert WithdrawalAlreadyFinalized(nonce);
        if (amount == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        finalizedWithdrawals[nonce] = true;
        token.safeTransfer(to, amount);
        emit WithdrawalFinalized(nonce, to, amount);
    }

    /// @notice OPEN held for the L2: equals the L2's native supply minted by deposits, less withdrawals.
    function totalLocked() external view returns (uint256) {
        return token.balanceOf(address(this));
    }
}
